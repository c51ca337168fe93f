-- @view team_calendars
-- @description One row per team of `teams` with the calendar its service targets run on (DESIGN §1).
-- @column team - | The team.
-- @column calendar_id - | Its calendar in `business_hours`; NULL: the team's times are measured in calendar time.
-- A team listed twice (a `kpiql validate` error) still gets one row, with
-- the first of its calendars by name, so a report never counts its contacts
-- twice. Without a `teams` table the view is empty: every team is on
-- calendar time.
SELECT team, min(calendar_id) AS calendar_id
FROM teams
GROUP BY team
