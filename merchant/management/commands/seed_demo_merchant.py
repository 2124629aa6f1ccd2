import json

from django.core.management.base import BaseCommand, CommandParser

from merchant.services.demo import seed_demo


class Command(BaseCommand):
    help = "Create or refresh the demo merchant alone (idempotent; `seed_demo` loads all)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")

    def handle(self, *args, **options) -> None:
        summary = seed_demo().as_dict()
        if options["json"]:
            self.stdout.write(json.dumps(summary))
        else:
            self.stdout.write(
                f"Demo merchant {summary['name']} ready: sign in as "
                f"{summary['email']} / {summary['password']}"
            )
