import json

from django.core.management.base import BaseCommand, CommandError

from apps.accounts.services import account_create
from apps.core.errors import ApplicationError


class Command(BaseCommand):
    help = "Create an account with a secret and a publishable key."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--name", required=True)
        parser.add_argument("--country", default="US")
        parser.add_argument("--currency", default="usd")
        parser.add_argument(
            "--live",
            action="store_true",
            help="A live account (sk_live_ keys) instead of a test one.",
        )
        parser.add_argument(
            "--json",
            action="store_true",
            help="Print exactly one JSON object with the id and keys.",
        )

    def handle(self, *args, **options) -> None:
        try:
            account, tokens = account_create(
                name=options["name"],
                country=options["country"],
                currency=options["currency"],
                livemode=options["live"],
            )
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        result = {"id": account.id, **tokens}
        if options["json"]:
            self.stdout.write(json.dumps(result))
            return
        self.stdout.write(f"Account {account.name}: {account.id}")
        self.stdout.write(f"Secret key (shown once): {tokens['secret_key']}")
        self.stdout.write(f"Publishable key: {tokens['publishable_key']}")
