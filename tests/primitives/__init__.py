"""Tests of the primitive table and the composite functions built on it."""
