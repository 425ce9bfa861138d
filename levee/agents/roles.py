"""Agents' roles within an authority, and what each one may change in the back office.

Every role reads every page of the back office except « Agents »; the groups below say
which roles may *change* things. Views declare them with `agent_required` (access.py);
templates ask `request.agent.can.<group>` before offering an action. The matrix, in
words, is in CONTRIBUTING.md."""

from django.db import models


class AgentRole(models.TextChoices):
    ACCUEIL = "accueil", "Accueil"
    FACTURATION = "facturation", "Facturation"
    ADMINISTRATEUR = "administrateur", "Administrateur"
    CONSULTATION = "consultation", "Consultation"


ROLE_DESCRIPTIONS = {
    AgentRole.ACCUEIL: (
        "traite les demandes des usagers, les ouvertures de compte et les comptes (clés "
        "d'activation, identifiants associés) ; tient à jour les calendriers de collecte."
    ),
    AgentRole.FACTURATION: (
        "tarifs, facturation et règlements ; imports des levées, des apports et des abonnés."
    ),
    AgentRole.ADMINISTRATEUR: (
        "tous les droits, plus les agents de la collectivité et ses réglages (jours fériés)."
    ),
    AgentRole.CONSULTATION: "lit toutes les pages du back office, sans rien modifier.",
}

# Opening requests, accounts (keys, dissociation) and the residents' demandes.
ACCOUNTS = frozenset({AgentRole.ACCUEIL, AgentRole.ADMINISTRATEUR})
# Collection schedules, their exceptions and sectors.
CALENDARS = frozenset({AgentRole.ACCUEIL, AgentRole.ADMINISTRATEUR})
# The authority's settings: the holiday policy of its calendars.
SETTINGS = frozenset({AgentRole.ADMINISTRATEUR})
# Imports of lifts, drop-offs and subscribers.
IMPORTS = frozenset({AgentRole.FACTURATION, AgentRole.ADMINISTRATEUR})
# Tariffs, billing runs (simulations and real ones), treasury exports, payments.
BILLING = frozenset({AgentRole.FACTURATION, AgentRole.ADMINISTRATEUR})
# The authority's agents: the « Agents » page, which only they read.
AGENTS = frozenset({AgentRole.ADMINISTRATEUR})
# The authority's API keys and webhooks (« Clés d'API », « Webhooks »), which only they read.
INTEGRATIONS = frozenset({AgentRole.ADMINISTRATEUR})

GROUPS = {
    "accounts": ACCOUNTS,
    "calendars": CALENDARS,
    "settings": SETTINGS,
    "imports": IMPORTS,
    "billing": BILLING,
    "agents": AGENTS,
    "integrations": INTEGRATIONS,
}
