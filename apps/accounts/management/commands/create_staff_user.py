from django.core.management.base import BaseCommand, CommandError

from apps.accounts.selectors import account_get
from apps.accounts.services import staff_user_create
from apps.core.errors import ApplicationError


class Command(BaseCommand):
    help = "Create a dashboard login with a role on an account."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--email", required=True)
        parser.add_argument("--password", required=True)
        parser.add_argument("--account", required=True, help="acct_… id")
        parser.add_argument("--role", default="administrator")

    def handle(self, *args, **options) -> None:
        account = account_get(account_id=options["account"])
        if account is None:
            raise CommandError(f"No such account: {options['account']}")
        try:
            user = staff_user_create(
                email=options["email"],
                password=options["password"],
                account=account,
                role=options["role"],
            )
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            f"Staff user {user.email} is {options['role']} on {account.id}. "
            "Two-factor enrolment happens at first login."
        )
