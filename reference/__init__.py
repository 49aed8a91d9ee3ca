"""Reference solutions and known wrong answers for the Highways problem set."""
