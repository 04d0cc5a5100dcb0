"""Views: what pages, the command line and the API ask of the data, cached by one key."""
