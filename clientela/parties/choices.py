"""Choice lists of the parties app."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class PartyKind(models.TextChoices):
    PERSON = "person", _("Person")
    ORGANISATION = "organisation", _("Organisation")


class LifecycleStatus(models.TextChoices):
    LEAD = "lead", pgettext_lazy("lifecycle status", "Lead")
    PROSPECT = "prospect", _("Prospect")
    CUSTOMER = "customer", _("Customer")
    FORMER = "former", _("Former customer")


class ContactKind(models.TextChoices):
    EMAIL = "email", _("Email")
    MOBILE = "mobile", _("Mobile")
    LANDLINE = "landline", _("Landline")
    FAX = "fax", _("Fax")
    WEBSITE = "website", _("Website")
    SOCIAL = "social", _("Social profile")
    ADDRESS = "address", _("Postal address")


PHONE_KINDS = frozenset({ContactKind.MOBILE, ContactKind.LANDLINE, ContactKind.FAX})


class ContactLabel(models.TextChoices):
    WORK = "work", _("Work")
    HOME = "home", _("Home")
    PERSONAL = "personal", _("Personal")
    BILLING = "billing", _("Billing")
    SHIPPING = "shipping", _("Shipping")
    OTHER = "other", _("Other")


class SocialNetwork(models.TextChoices):
    LINKEDIN = "linkedin", "LinkedIn"
    X = "x", "X (Twitter)"
    FACEBOOK = "facebook", "Facebook"
    INSTAGRAM = "instagram", "Instagram"
    TIKTOK = "tiktok", "TikTok"
    YOUTUBE = "youtube", "YouTube"
    WHATSAPP = "whatsapp", "WhatsApp"
    TELEGRAM = "telegram", "Telegram"
    OTHER = "other", _("Other")
