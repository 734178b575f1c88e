// Run only by open-handles.test.ts (its name does not end in .test.ts): two tests on a real
// clock, one of which forgets stop(). Jest's --detectOpenHandles must name that one.
import { WorkflowScheduleIntegration } from 'tickflow';

test('starts and stops', async () => {
  const integration = new WorkflowScheduleIntegration({ executor: () => 'ok' });
  await integration.start(); // STOPPED-START
  await integration.stop();
});

test('starts and forgets stop()', async () => {
  const integration = new WorkflowScheduleIntegration({ executor: () => 'ok' });
  await integration.start(); // FORGOTTEN-START
  await integration.schedule('hourly', '0 * * * *', () => 'ok');
  expect(integration.getState()).toBe('running');
});
