"""Dash components the pages share: the shell, small widgets, the start-game widget, the account
menu. Builders render plain values; the few callbacks here call `cargame.web.services`."""
