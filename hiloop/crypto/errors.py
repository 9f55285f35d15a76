"""The one exception crypto raises: anything that fails to parse, verify or decrypt."""


class CryptoError(Exception):
    """An envelope, certificate, wrap or link failed to parse, verify or decrypt."""
