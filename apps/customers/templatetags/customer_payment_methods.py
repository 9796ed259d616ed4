from django import template

register = template.Library()


@register.inclusion_tag("customers/_payment_methods_list.html", takes_context=True)
def payment_methods_panel(context, customer):
    # Imported here: template libraries load while the admin is still being set up.
    from apps.customers.admin_payment_methods import TestCardForm, customer_payment_methods

    return {
        "customer": customer,
        "payment_methods": customer_payment_methods(customer),
        "form": TestCardForm.blank(),
        "request": context.get("request"),
        "csrf_token": context.get("csrf_token"),
    }
