"""The trade-fair booth: kiosk settings, nicknames, today's boards. No Flask, no Dash."""
