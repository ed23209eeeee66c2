"""Shared base for every resource: handlers, errors, database, identity, schemas.

Nothing in here imports a resource package.
"""
