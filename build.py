#!/usr/bin/env python3
"""Build the RDS Proxy templates: python build.py [ENV ...] [--params DIR] [--out DIR] [--check] [--no-lint]"""

from templates_src.app.program import run

if __name__ == "__main__":
    run()
