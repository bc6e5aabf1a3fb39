"""Clientela: an open-source CRM that joins every department's customer data into one customer view."""
