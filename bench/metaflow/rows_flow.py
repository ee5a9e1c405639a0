"""The peer of bench/flows/rows.ts for Metaflow (issue 15's 7.2 s, 648 MiB): a reference script,
not a dependency. bench/data.mjs runs it when `import metaflow` works: python3 rows_flow.py run"""
import random

from metaflow import FlowSpec, step


class RowsFlow(FlowSpec):
    @step
    def start(self):
        self.rows = [
            {"id": i, "name": "name%d" % i, "value": random.random(), "group": "g%d" % (i % 10)}
            for i in range(1_000_000)
        ]
        self.next(self.sum)

    @step
    def sum(self):
        self.total = sum(row["value"] for row in self.rows)
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    RowsFlow()
