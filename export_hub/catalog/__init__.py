"""Products, their images, review workflow and audit log, bulk import."""
