"""HTTP inference API (``bastion serve``) and API-key management (``bastion keys``).

Nothing here is imported by ``import bastion``; the modules need the ``api`` extra.

>>> from bastion.api.app import create_app, Settings  # doctest: +SKIP
>>> app = create_app(settings=Settings(auth_enabled=False))  # doctest: +SKIP
"""
