"""A practice's files checked and a finished PDF measured against the health-literacy targets."""
