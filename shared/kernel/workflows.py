"""The durable workflows' contract names: what `functions/` starts and signals and what
`orchestrations/` registers and calls, in one place so the two sides cannot drift apart.

Plain strings, no durable SDK: the orders context (shared.orders.workflow) raises the review event
by name, the triggers start orchestrators by name, the orchestrators call activities by name.
tests/unit/test_workflow_contract.py checks every name here is a function the app registers.
"""

from __future__ import annotations

# --- the order workflow (orchestrations/order_workflow.py, order_activities.py) ---------------
ORDER_WORKFLOW = "order_workflow"
# The external event that carries a review decision (or a cancellation) to a running workflow.
ORDER_REVIEW_EVENT = "ReviewDecision"

ORDER_RESERVE_INVENTORY = "order_reserve_inventory"
ORDER_AUTHORIZE_PAYMENT = "order_authorize_payment"
ORDER_FRAUD_CHECK = "order_fraud_check"
ORDER_EXTEND_RESERVATION = "order_extend_reservation"
ORDER_RECORD_REVIEW = "order_record_review"
ORDER_CAPTURE_PAYMENT = "order_capture_payment"
ORDER_CONFIRM = "order_confirm"
ORDER_NOTIFY = "order_notify"
ORDER_COMPENSATE = "order_compensate"

ORDER_ACTIVITIES = (
    ORDER_RESERVE_INVENTORY,
    ORDER_AUTHORIZE_PAYMENT,
    ORDER_FRAUD_CHECK,
    ORDER_EXTEND_RESERVATION,
    ORDER_RECORD_REVIEW,
    ORDER_CAPTURE_PAYMENT,
    ORDER_CONFIRM,
    ORDER_NOTIFY,
    ORDER_COMPENSATE,
)

# --- model retraining (orchestrations/model_retraining.py) -----------------------------------
MODEL_RETRAINING = "model_retraining"
RETRAIN_EXTRACT = "retrain_extract"
RETRAIN_TRAIN = "retrain_train"
RETRAIN_EVALUATE = "retrain_evaluate"

RETRAINING_ACTIVITIES = (RETRAIN_EXTRACT, RETRAIN_TRAIN, RETRAIN_EVALUATE)

ORCHESTRATORS = (ORDER_WORKFLOW, MODEL_RETRAINING)
ACTIVITIES = ORDER_ACTIVITIES + RETRAINING_ACTIVITIES
