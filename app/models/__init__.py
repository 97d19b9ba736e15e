"""Every table of the service; importing this module registers them all on the metadata."""
from app.models.api_key import ApiKey
from app.models.design import CardSweep, Location, ProgramImage, SentMessage
from app.models.device import CardEvent, Device, DeviceLog, Registration
from app.models.ledger import LedgerEntry
from app.models.member import Card, ConsentEvent, Member
from app.models.member_import import MemberImportRecord
from app.models.merchant import Merchant, StaffUser
from app.models.outbox import ChangeCounter, OutboxJob, PushAttempt
from app.models.program import Campaign, Program, Tier
from app.models.reward import Reward, RewardCode
from app.models.webhook import WebhookEndpoint

__all__ = [
    "ApiKey",
    "Campaign",
    "Card",
    "CardSweep",
    "CardEvent",
    "ChangeCounter",
    "Device",
    "DeviceLog",
    "OutboxJob",
    "PushAttempt",
    "Registration",
    "Reward",
    "RewardCode",
    "ConsentEvent",
    "LedgerEntry",
    "Location",
    "Member",
    "MemberImportRecord",
    "Merchant",
    "Program",
    "ProgramImage",
    "SentMessage",
    "StaffUser",
    "Tier",
    "WebhookEndpoint",
]
