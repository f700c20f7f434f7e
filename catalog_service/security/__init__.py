"""Access control shared by the API and Admin: who the client is, and what staff may do."""
