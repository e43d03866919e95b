"""The formulary pages of the rules admin: list and search, add, edit, history."""
