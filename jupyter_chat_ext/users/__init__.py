"""Users: whoever Jupyter Server's identity provider says, recorded with a role."""
