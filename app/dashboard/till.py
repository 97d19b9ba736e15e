"""The till screen: find the card (camera or typed), add a purchase, redeem."""
