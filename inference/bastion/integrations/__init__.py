"""Integrations with data-processing frameworks (imported explicitly, never by ``import bastion``)."""
