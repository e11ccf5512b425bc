#!/usr/bin/env python3
"""Build the RDS Proxy templates: python build.py [ENV ...] [--params DIR] [--out DIR] [--check] [--no-lint]"""

import sys

from templates_src.cli import main

if __name__ == "__main__":
    sys.exit(main())
