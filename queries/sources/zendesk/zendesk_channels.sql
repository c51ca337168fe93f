-- Zendesk's via channels (`ticket.via_channel`) as kpiql's channels
-- (DESIGN §1 "The zendesk source"). A web form, the help centre, the web
-- widget and the API write tickets the way email does; a via channel not
-- listed here is kept as it is (so `kpiql validate` and the reports show
-- it, never folded into another).
SELECT * FROM (VALUES
  ('email', 'email'),
  ('web', 'email'),
  ('web_form', 'email'),
  ('web_widget', 'email'),
  ('help_center', 'email'),
  ('voice', 'phone'),
  ('phone', 'phone'),
  ('chat', 'chat'),
  ('chat_transcript', 'chat'),
  ('native_messaging', 'messaging'),
  ('mobile_sdk', 'messaging'),
  ('sms', 'messaging'),
  ('whatsapp', 'messaging'),
  ('line', 'messaging'),
  ('wechat', 'messaging'),
  ('messenger', 'messaging'),
  ('facebook', 'social'),
  ('twitter', 'social'),
  ('instagram_dm', 'social')
) AS v(via_channel, channel)
