import { Provider } from 'urql';
import { client } from './client';
import { EnqueueForm } from './components/EnqueueForm';
import { Header } from './components/Header';
import { HistoryChart } from './components/HistoryChart';
import { JobTypesPanel } from './components/JobTypesPanel';
import { GroupsPanel } from './components/GroupsPanel';
import { TokenGate } from './components/TokenGate';
import { JobDetailPage } from './pages/JobDetailPage';
import { JobsPage } from './pages/JobsPage';
import { ProcessesPage } from './pages/ProcessesPage';
import { SchedulesPage } from './pages/SchedulesPage';
import { AlertsPage } from './pages/AlertsPage';
import { useStaleSince } from './connection';
import { timeRangeOf } from './filters';
import { exactTime } from './time';
import { useLocation } from './router';

export interface Me {
  name: string;
  role: string;
  authenticated: boolean;
}

function Routes({ me }: { me: Me }) {
  const { path, params } = useLocation();
  // A viewer sees everything and changes nothing: no action is offered (the server refuses them anyway).
  const canAct = me.role !== 'viewer';
  const detail = /^\/jobs\/(\d+)\/?$/.exec(path);
  if (detail) return <JobDetailPage id={detail[1]!} key={detail[1]} canAct={canAct} />;
  if (/^\/processes\/?$/.test(path)) return <ProcessesPage />;
  if (/^\/schedules\/?$/.test(path)) return <SchedulesPage canAct={canAct} />;
  if (/^\/alerts\/?$/.test(path)) return <AlertsPage />;
  return (
    <div className="home">
      <div className="home-main">
        <HistoryChart range={timeRangeOf(params)} />
        <JobsPage params={params} canAct={canAct} canDelete={me.role === 'admin'} />
      </div>
      <aside className="home-side" aria-label="Controls">
        <JobTypesPanel canAct={canAct} />
        <GroupsPanel canAct={canAct} />
        {canAct && <EnqueueForm />}
      </aside>
    </div>
  );
}

/** While the live connection is down: the page says its data dates from then, and dims it. */
function StaleNotice() {
  const since = useStaleSince();
  if (since === null) return null;
  return (
    <p className="stale-notice" role="status" data-testid="stale">
      Offline since {exactTime(new Date(since).toISOString())}: what you see may be out of date until the connection is back.
    </p>
  );
}

export function App() {
  const staleSince = useStaleSince();
  return (
    <Provider value={client}>
      <TokenGate>
        {(me) => (
          <>
            <Header me={me} />
            <StaleNotice />
            <main className={staleSince === null ? undefined : 'stale'}>
              <Routes me={me} />
            </main>
          </>
        )}
      </TokenGate>
    </Provider>
  );
}
