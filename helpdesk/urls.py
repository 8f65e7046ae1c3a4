from django.urls import path

from helpdesk import views, views_work

app_name = "helpdesk"

urlpatterns = [
    path("", views.consultation_list_view, name="consultation_list"),
    path("new/", views.consultation_new_view, name="consultation_new"),
    path("<int:consultation_id>/", views.consultation_detail_view, name="consultation_detail"),
    path("<int:consultation_id>/check-message/", views.message_check_view, name="message_check"),
    path("queue/", views_work.queue_view, name="queue"),
    path("queue/next/", views_work.next_view, name="next"),
    path("queue/duty/", views_work.duty_view, name="duty"),
    path("queue/leave/", views_work.leave_view, name="leave"),
    path("<int:consultation_id>/claim/", views_work.claim_view, name="claim"),
    path(
        "<int:consultation_id>/<str:action>/",
        views_work.action_view,
        name="action",
    ),
    path("transfers/<int:transfer_id>/", views_work.transfer_decide_view, name="transfer_decide"),
]
