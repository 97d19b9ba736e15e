"""Fetch rows by id within the calling merchant: another merchant's row is simply not found."""
from __future__ import annotations

from flask import g
from sqlalchemy import select

from app.errors import ApiError
from app.extensions import db
from app.models import Member, Program


def merchant_program(program_id: int) -> Program:
    program = db.session.scalar(
        select(Program).where(Program.id == program_id, Program.merchant_id == g.merchant.id)
    )
    if program is None:
        raise ApiError(404, "program_not_found", f"there is no program {program_id}")
    return program


def merchant_member(member_id: int) -> Member:
    member = db.session.scalar(
        select(Member).where(Member.id == member_id, Member.merchant_id == g.merchant.id)
    )
    if member is None:
        raise ApiError(404, "member_not_found", f"there is no member {member_id}")
    return member
