import { Provider } from 'urql';
import { client } from './client';
import { EnqueueForm } from './components/EnqueueForm';
import { Header } from './components/Header';
import { TokenGate } from './components/TokenGate';
import { JobDetailPage } from './pages/JobDetailPage';
import { JobsPage } from './pages/JobsPage';
import { useLocation } from './router';

export interface Me {
  name: string;
  role: string;
  authenticated: boolean;
}

function Routes({ me }: { me: Me }) {
  const { path, params } = useLocation();
  const detail = /^\/jobs\/(\d+)\/?$/.exec(path);
  if (detail) return <JobDetailPage id={detail[1]!} key={detail[1]} />;
  return (
    <div className="home">
      <JobsPage params={params} />
      {me.role !== 'viewer' && <EnqueueForm />}
    </div>
  );
}

export function App() {
  return (
    <Provider value={client}>
      <TokenGate>
        {(me) => (
          <>
            <Header me={me} />
            <main>
              <Routes me={me} />
            </main>
          </>
        )}
      </TokenGate>
    </Provider>
  );
}
