"""Tests of the reference target, over real HTTP."""
