"""Apple Wallet store cards: build pass.json, validate it, sign and zip the .pkpass."""

from passes.apple.artwork import default_images, initials
from passes.apple.colors import to_pass_color
from passes.apple.model import wallet_pass
from passes.apple.pkpass import InvalidPass, PassField, StoreCardSpec, build_pass_json, build_pkpass
from passes.apple.signing import EXAMPLE_MARKER, PassSigner, SigningError
from passes.apple.strings import decode_pass_strings, encode_pass_strings
from passes.apple.validate import validate_pass_json, validate_pkpass

__all__ = [
    "EXAMPLE_MARKER",
    "InvalidPass",
    "PassField",
    "PassSigner",
    "SigningError",
    "StoreCardSpec",
    "build_pass_json",
    "build_pkpass",
    "decode_pass_strings",
    "default_images",
    "encode_pass_strings",
    "initials",
    "to_pass_color",
    "validate_pass_json",
    "validate_pkpass",
    "wallet_pass",
]
