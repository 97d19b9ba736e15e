"""The QR poster and its locations."""
