"""What runs inside a student's kernel: small, and fast to import."""
