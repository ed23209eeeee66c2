"""Providers: the admin-managed connections to model servers, and the clients that speak to them."""
