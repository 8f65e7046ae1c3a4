from django.urls import path

from chat.consumers import CircleChatConsumer, ConsultationChatConsumer
from chat.notifications import NotificationConsumer

websocket_urlpatterns = [
    path("ws/consultations/<int:consultation_id>/", ConsultationChatConsumer.as_asgi()),
    path("ws/circles/<int:circle_id>/", CircleChatConsumer.as_asgi()),
    path("ws/notifications/", NotificationConsumer.as_asgi()),
]
