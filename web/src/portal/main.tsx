import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { PortalApp } from './App.js';
import '../base.css';
import './portal.css';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <PortalApp />
  </StrictMode>,
);
