"""Consultation vocabularies (codes in English, labels in Japanese through gettext)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Category(models.TextChoices):
    BURNOUT = "burnout", _("Burnout and exhaustion")
    HARD_CASE = "hard_case", _("Hard case")
    SYSTEM = "system", _("Systems and coordination")
    WORKPLACE = "workplace", _("Workplace and organisation")
    OTHER = "other", _("Other")


class Subtype(models.TextChoices):
    SUPPORT_REFUSAL = "support_refusal", _("The person refuses support")
    DOMESTIC_VIOLENCE = "domestic_violence", _("Domestic violence")
    PROBLEM_8050 = "problem_8050", _("8050 problem")
    SUSPECTED_MENTAL_ILLNESS = "suspected_mental_illness", _("Suspected mental illness")
    DEVELOPMENTAL = "developmental", _("Developmental disability")
    SUICIDAL_SELF_HARM = "suicidal_self_harm", _("Suicidal ideation or self-harm")
    POVERTY = "poverty", _("Financial hardship")
    ABUSE = "abuse", _("Abuse")
    LEGAL = "legal", _("Legal problem")
    OTHER = "other", _("Other")


class Priority(models.TextChoices):
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


PRIORITY_ORDER = {Priority.NORMAL: 0, Priority.HIGH: 1, Priority.URGENT: 2}


class ResponderType(models.TextChoices):
    PEER = "peer", _("Peer supporter")
    EXPERT = "expert", _("Expert")
    EITHER = "either", _("Either")


class Status(models.TextChoices):
    RECEIVED = "received", _("Received")
    IN_PROGRESS = "in_progress", _("In progress")
    WAITING = "waiting", _("Waiting for the worker")
    ESCALATED = "escalated", _("Escalated")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


class AgeBand(models.TextChoices):
    UNKNOWN = "unknown", _("Unknown")
    TEENS = "10s", _("Teens")
    TWENTIES = "20s", _("20s")
    THIRTIES = "30s", _("30s")
    FORTIES = "40s", _("40s")
    FIFTIES = "50s", _("50s")
    SIXTIES_PLUS = "60s_plus", _("60 or older")


class Gender(models.TextChoices):
    UNKNOWN = "unknown", _("Unknown or not stated")
    MALE = "male", _("Male")
    FEMALE = "female", _("Female")
    OTHER = "other", _("Other")


class WithdrawalDuration(models.TextChoices):
    UNKNOWN = "unknown", _("Unknown")
    UNDER_1 = "lt1", _("Less than a year")
    Y1_3 = "1to3", _("1 to 3 years")
    Y3_5 = "3to5", _("3 to 5 years")
    Y5_10 = "5to10", _("5 to 10 years")
    Y10_PLUS = "10plus", _("10 years or more")


class Household(models.TextChoices):
    UNKNOWN = "unknown", _("Unknown")
    ALONE = "alone", _("Lives alone")
    WITH_PARENTS = "parents", _("With parent(s)")
    WITH_PARTNER = "partner", _("With partner or children")
    OTHER = "other", _("Other")


class Agency(models.TextChoices):
    PUBLIC_HEALTH_CENTRE = "public_health_centre", "保健所"
    MENTAL_HEALTH_CENTRE = "mental_health_centre", "精神保健福祉センター"
    WELFARE_OFFICE = "welfare_office", "福祉事務所"
    COMMUNITY_CARE_CENTRE = "community_care_centre", "地域包括支援センター"
    CHILD_GUIDANCE_CENTRE = "child_guidance_centre", "児童相談所"
    HELLO_WORK = "hello_work", "ハローワーク"
    YOUTH_SUPPORT_STATION = "youth_support_station", "地域若者サポートステーション"
    SOCIAL_WELFARE_COUNCIL = "social_welfare_council", "社会福祉協議会"
    MEDICAL = "medical", "医療機関"
    SCHOOL = "school", "学校"
    NPO = "npo", "NPO"
    FAMILY_ASSOCIATION = "family_association", "家族会"
    PEER_GROUP = "peer_group", "当事者会"
    POLICE = "police", "警察"
    OTHER = "other", "その他"
