"""The peer of bench/flows/bytes.ts for Metaflow (issue 15's 5.2 s, 423 MiB): a reference script,
not a dependency. bench/data.mjs runs it when `import metaflow` works: python3 bytes_flow.py run"""
import os

from metaflow import FlowSpec, step


class BytesFlow(FlowSpec):
    @step
    def start(self):
        self.data = os.urandom(100_000_000)
        self.next(self.read)

    @step
    def read(self):
        self.checksum = self.data[0] + self.data[-1]
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    BytesFlow()
