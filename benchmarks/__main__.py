import sys

from benchmarks.scale import main

sys.exit(main())
