"""``python -m analysis_src.pipeline``: build the book (see :mod:`analysis_src.pipeline.build`)."""

from analysis_src.pipeline.build import main

raise SystemExit(main())
