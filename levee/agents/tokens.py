"""The link of an agent's invitation: Django's password reset token under a salt of its own,
so that it opens only the back office's page (and a resident's reset link never does)."""

from django.contrib.auth.tokens import PasswordResetTokenGenerator


class InvitationTokenGenerator(PasswordResetTokenGenerator):
    """Valid PASSWORD_RESET_TIMEOUT, until the password is chosen (it enters the hash)."""

    # The salt keeps its first name: links already mailed stay valid.
    key_salt = "levee.backoffice.InvitationTokenGenerator"


invitation_token = InvitationTokenGenerator()
