"""Google Wallet loyalty cards: classes and objects (objects.py), save links (jwt.py), the REST
client (client.py). No Flask and no database: plain dataclasses in, dicts and strings out."""
