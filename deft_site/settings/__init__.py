"""Settings split by environment: base (shared), dev, test, prod. Everything comes from the environment."""
