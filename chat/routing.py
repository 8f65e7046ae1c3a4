from django.urls import path

from chat.consumers import ConsultationChatConsumer
from chat.notifications import NotificationConsumer

websocket_urlpatterns = [
    path("ws/consultations/<int:consultation_id>/", ConsultationChatConsumer.as_asgi()),
    path("ws/notifications/", NotificationConsumer.as_asgi()),
]
