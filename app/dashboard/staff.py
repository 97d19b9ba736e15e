"""Staff logins (invitations, roles) and API keys."""
