"""Accounts: users and roles, recorded games, sign-in, leaderboards, and access control.

The web app calls `cargame.accounts.auth.register_accounts(server, config)` once at start-up.
"""
