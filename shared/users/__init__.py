"""Users bounded context: profiles (just-in-time from token claims), addresses, preferences, roles."""
