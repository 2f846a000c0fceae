import { Provider } from 'urql';
import { client } from './client';
import { EnqueueForm } from './components/EnqueueForm';
import { Header } from './components/Header';
import { JobDetailPage } from './pages/JobDetailPage';
import { JobsPage } from './pages/JobsPage';
import { useLocation } from './router';

function Routes() {
  const { path, params } = useLocation();
  const detail = /^\/jobs\/(\d+)\/?$/.exec(path);
  if (detail) return <JobDetailPage id={detail[1]!} key={detail[1]} />;
  return (
    <div className="home">
      <JobsPage params={params} />
      <EnqueueForm />
    </div>
  );
}

export function App() {
  return (
    <Provider value={client}>
      <Header />
      <main>
        <Routes />
      </main>
    </Provider>
  );
}
