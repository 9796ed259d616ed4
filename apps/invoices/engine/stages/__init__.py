"""The billing stages (extension points): named places in the billing flow where a chosen
implementation decides instead of the default (docs/extensions.md). Pure: no Django.

Pipeline order: ``billing.prorations`` → ``billing.recurring_billing_item_handling`` →
``billing.compute_bill`` → ``billing.customer_balance_application`` → ``payments.collection``.
"""

from apps.invoices.engine.stages.registry import (
    DEFAULTS,
    STAGES,
    Choices,
    config_clean,
    implementation_get,
    implementations,
)
from apps.invoices.engine.stages.runner import stage_run
from apps.invoices.engine.stages.types import (
    Choice,
    ConfigError,
    ConfigField,
    Implementation,
    Stage,
    StageResult,
)

__all__ = [
    "DEFAULTS",
    "STAGES",
    "Choice",
    "Choices",
    "ConfigError",
    "ConfigField",
    "Implementation",
    "Stage",
    "StageResult",
    "config_clean",
    "implementation_get",
    "implementations",
    "stage_run",
]
