"""Charts of a program's figures and the devices' Wallet log."""
